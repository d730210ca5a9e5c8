-- Inventory change feed: after every change to what GET /v1/inventory shows (gold and the starter grant on
-- players, resources, card instances), NOTIFY on channel `inventory_changes` with the player id as payload, so
-- game-api replicas can drop that player's cached inventory (packages/db/src/changes, apps/game-api README).
-- NOTIFY is transactional: delivered only after COMMIT, never for a rolled-back transaction, and identical
-- payloads of one transaction are delivered once. Prisma neither creates nor diffs functions and triggers, so they
-- live only here.

CREATE FUNCTION "notify_inventory_change"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  old_player uuid;
  new_player uuid;
BEGIN
  IF TG_TABLE_NAME = 'players' THEN
    IF TG_OP <> 'INSERT' THEN old_player := OLD.id; END IF;
    IF TG_OP <> 'DELETE' THEN new_player := NEW.id; END IF;
  ELSIF TG_TABLE_NAME = 'resources' THEN
    IF TG_OP <> 'INSERT' THEN old_player := OLD.player_id; END IF;
    IF TG_OP <> 'DELETE' THEN new_player := NEW.player_id; END IF;
  ELSE
    -- card_instances: a card that changes hands leaves one inventory and enters another.
    IF TG_OP <> 'INSERT' THEN old_player := OLD.owner_id; END IF;
    IF TG_OP <> 'DELETE' THEN new_player := NEW.owner_id; END IF;
  END IF;
  IF old_player IS NOT NULL THEN PERFORM pg_notify('inventory_changes', old_player::text); END IF;
  IF new_player IS NOT NULL AND new_player IS DISTINCT FROM old_player THEN
    PERFORM pg_notify('inventory_changes', new_player::text);
  END IF;
  RETURN NULL;
END
$$;

-- Players: only the columns the inventory shows (a sign-in or profile edit changes nothing there).
CREATE TRIGGER "players_inventory_change"
  AFTER UPDATE OF "gold", "starter_granted_at" ON "players"
  FOR EACH ROW
  WHEN (OLD."gold" IS DISTINCT FROM NEW."gold" OR OLD."starter_granted_at" IS DISTINCT FROM NEW."starter_granted_at")
  EXECUTE FUNCTION "notify_inventory_change"();

CREATE TRIGGER "players_inventory_delete"
  AFTER DELETE ON "players"
  FOR EACH ROW
  EXECUTE FUNCTION "notify_inventory_change"();

CREATE TRIGGER "resources_inventory_change"
  AFTER INSERT OR UPDATE OR DELETE ON "resources"
  FOR EACH ROW
  EXECUTE FUNCTION "notify_inventory_change"();

-- Any column of a card may show (state, owner, token id, provenance).
CREATE TRIGGER "card_instances_inventory_change"
  AFTER INSERT OR UPDATE OR DELETE ON "card_instances"
  FOR EACH ROW
  EXECUTE FUNCTION "notify_inventory_change"();

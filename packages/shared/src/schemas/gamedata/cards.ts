/** Card definitions (`cards:` sections, usually `gamedata/cards/*.yaml`). */

import { z } from 'zod';
import { ELEMENTS, FLAG_KEYWORDS, type Keywords, RARITIES } from '../../rules/cards.ts';
import { idSchema, nameSchema } from './common.ts';

const amount = (max: number) => z.int().min(1).max(max);

const keywordListForm = z
  .array(z.union([z.enum(FLAG_KEYWORDS), z.strictObject({ thorns: amount(10) }), z.strictObject({ volley: amount(10) })]))
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((k, i) => {
      const name = typeof k === 'string' ? k : Object.keys(k)[0];
      if (name !== undefined && seen.has(name)) ctx.addIssue({ code: 'custom', message: `keyword "${name}" is listed twice`, path: [i] });
      if (name !== undefined) seen.add(name);
    });
  })
  .transform((list): Keywords => {
    const out: Record<string, true | number> = {};
    for (const k of list) {
      if (typeof k === 'string') out[k] = true;
      else Object.assign(out, k);
    }
    return out as Keywords;
  });

const flag = z.literal(true).optional();
const keywordObjectForm = z.strictObject({
  guard: flag,
  swift: flag,
  bloom: flag,
  drain: flag,
  sprout: flag,
  shield: flag,
  rally: flag,
  thorns: amount(10).optional(),
  volley: amount(10).optional(),
});

/**
 * Unit keywords. Designers write a list, with `{ thorns: N }` / `{ volley: N }` for the numbered ones
 * (`keywords: [guard, { thorns: 2 }]`); the normalised object form the rules use (`{ guard: true, thorns: 2 }`),
 * which is also how published content stores them, is accepted too. Output: the rules' {@link Keywords}.
 */
export const keywordsSchema = z.union([keywordListForm, keywordObjectForm.transform((k): Keywords => k as Keywords)]);

/** A spell's effect; see `SpellEffect` in the rules for what each does. */
export const spellEffectSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('damage'), amount: amount(20) }),
  z.strictObject({ type: z.literal('heal'), amount: amount(30) }),
  z.strictObject({ type: z.literal('draw'), count: amount(5) }),
  z
    .strictObject({ type: z.literal('buff'), attack: z.int().min(0).max(10), health: z.int().min(0).max(10) })
    .refine((b) => b.attack + b.health > 0, { message: 'a buff must add attack or health', path: ['attack'] }),
  z.strictObject({ type: z.literal('summon'), token: idSchema, count: amount(5).default(1) }),
]);

const cardCommon = {
  id: idSchema,
  name: nameSchema,
  rarity: z.enum(RARITIES),
  element: z.enum(ELEMENTS),
  cost: z.int().min(0).max(10),
  /** Tokens are summoned by effects only: never in decks, recipes or rewards. */
  token: z.boolean().default(false),
  flavour: z.string().max(240).default(''),
};

/** A card definition: a unit (attack, health, keywords) or a spell (one effect). */
export const cardDefinitionSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    ...cardCommon,
    kind: z.literal('unit'),
    attack: z.int().min(0).max(20),
    health: z.int().min(1).max(30),
    keywords: keywordsSchema.default({}),
  }),
  z.strictObject({ ...cardCommon, kind: z.literal('spell'), effect: spellEffectSchema }),
]);
/** A validated card definition (assignable to the rules' `CardDef`). */
export type CardDefinition = z.output<typeof cardDefinitionSchema>;

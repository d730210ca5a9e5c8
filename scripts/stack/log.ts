// Output of the developer scripts (start, test). Services log structured JSON with pino; these scripts talk to a
// person at a terminal, so they print short plain lines on stderr.

/** A configuration or environment problem: printed as one line naming the variable, never a stack trace. */
export class StackError extends Error {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(message);
    this.name = 'StackError';
    this.variable = variable;
  }
}

export function say(line: string): void {
  process.stderr.write(`[harvest] ${line}\n`);
}

/** Prints an error as one line and exits non-zero: configuration errors name their variable. */
export function dieWith(error: unknown): never {
  if (error instanceof StackError) say(`${error.variable}: ${error.message}`);
  else say(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

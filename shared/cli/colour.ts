/**
 * Colour for people at a terminal: added (green), removed or kept as is (cyan), warnings (yellow),
 * errors (red). Off when stdout is not a terminal (a pipe, a file), with NO_COLOR set to anything
 * (https://no-color.org), and on TERM=dumb. Colour is added after a table is laid out, so widths
 * never count escape codes.
 */
export type Tone = 'added' | 'kept' | 'warning' | 'error';

export interface Paint {
  readonly on: boolean;
  (tone: Tone, text: string): string;
}

const CODES: Record<Tone, string> = { added: '32', kept: '36', warning: '33', error: '31' };

export function colourWanted(stdoutIsTTY: boolean, env: NodeJS.ProcessEnv): boolean {
  if (!stdoutIsTTY) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return env.TERM !== 'dumb';
}

export function painter(on: boolean): Paint {
  const paint = (tone: Tone, text: string): string => (on && text ? `\u001b[${CODES[tone]}m${text}\u001b[39m` : text);
  return Object.assign(paint, { on });
}

export const NO_PAINT: Paint = painter(false);

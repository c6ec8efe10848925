/** One Dockerfile instruction: its keyword (upper-cased) and the rest of its line. */
export interface DockerInstruction {
  op: string;
  args: string;
}

/** A Dockerfile's instructions, continuation lines joined and comments dropped, for tests of image rules. */
export function dockerfileInstructions(src: string): DockerInstruction[] {
  return src
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

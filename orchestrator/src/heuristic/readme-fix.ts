/**
 * Deterministic README fixes: a small, conservative set of edits a reviewer can check at a glance.
 * Produces a unified diff that goes to the person for approval before anything is written.
 */
import { createTwoFilesPatch } from 'diff';

/** Frequent English misspellings (whole words, case kept for the first letter). */
const MISSPELLINGS: Record<string, string> = {
  teh: 'the',
  recieve: 'receive',
  seperate: 'separate',
  occured: 'occurred',
  definately: 'definitely',
  accross: 'across',
  untill: 'until',
  enviroment: 'environment',
  dependancy: 'dependency',
  dependancies: 'dependencies',
  existant: 'existent',
  wich: 'which',
  becuase: 'because',
  adress: 'address',
  succesful: 'successful',
  instal: 'install',
  sucess: 'success',
  langauge: 'language',
  documention: 'documentation',
};

export interface ReadmeFix {
  content: string;
  fixes: string[];
  patch: string;
}

function fixWord(word: string): string | undefined {
  const right = MISSPELLINGS[word.toLowerCase()];
  if (!right) return undefined;
  return word[0] === word[0]?.toUpperCase() ? right[0]!.toUpperCase() + right.slice(1) : right;
}

/** Returns the fixed README and its patch, or undefined when there is nothing to fix. */
export function proposeReadmeFix(original: string, file = 'README.md', projectName = 'Project'): ReadmeFix | undefined {
  const fixes: string[] = [];
  const inFence = (lines: string[], i: number) => lines.slice(0, i).filter((l) => /^\s*```/.test(l)).length % 2 === 1;
  let lines = original.replace(/\r\n/g, '\n').split('\n');

  lines = lines.map((line, i) => {
    if (inFence(lines, i)) return line; // never touch code blocks
    let out = line.replace(/\b[A-Za-z]+\b/g, (w) => {
      const right = fixWord(w);
      if (right) fixes.push(`line ${i + 1}: "${w}" → "${right}"`);
      return right ?? w;
    });
    const trimmed = out.replace(/[ \t]+$/, '');
    // Two trailing spaces are a Markdown line break: keep them.
    if (trimmed !== out && !/[^ ] {2}$/.test(out)) {
      fixes.push(`line ${i + 1}: trailing whitespace removed`);
      out = trimmed;
    }
    return out;
  });

  const body = lines.join('\n').replace(/\n{3,}/g, (m) => {
    fixes.push('collapsed repeated blank lines');
    return m.slice(0, 2);
  });
  let content = body.replace(/\n*$/, '\n');
  if (content !== body && !body.endsWith('\n')) fixes.push('added the missing final newline');
  if (!/^\s*#\s/m.test(content)) {
    content = `# ${projectName}\n\n${content}`;
    fixes.push(`added a top-level heading "# ${projectName}"`);
  }
  if (content === original || fixes.length === 0) return undefined;
  const patch = createTwoFilesPatch(`a/${file}`, `b/${file}`, original, content, undefined, undefined, { context: 3 });
  return { content, fixes: [...new Set(fixes)], patch };
}

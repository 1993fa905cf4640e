import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

// docs/cli.md is written by hand; this keeps it from falling behind the commands the built
// CLI registers: every leaf command `leadsync --help` lists has a section, and every option
// its --help shows is named in that section. Options every command has (--config, --json,
// --help) are documented once, under "Rules every command follows", and are checked there.

const SLOW = { timeout: 60_000 };
const EVERY_COMMAND = ['--config', '--json'];
const docs = readFileSync('docs/cli.md', 'utf8');

/** Command names listed under "Commands:" in a help text. */
function commandsIn(help: string): string[] {
  const section = help.split(/^Commands:$/m)[1] ?? '';
  return [...section.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((match) => match[1] ?? '').filter((name) => name !== 'help');
}

/** Long options in the Options: part of a help text, e.g. `--port`, `--no-worker`. */
function optionsIn(help: string): string[] {
  const section = help.split(/^Options:$/m)[1] ?? '';
  return [...section.matchAll(/^ {2}(?:-[a-zA-Z], )?(--[a-z][a-z-]*)/gm)].map((match) => match[1] ?? '').filter((option) => option !== '--help');
}

interface DocSection {
  readonly heading: string;
  readonly text: string;
}

/** The markdown sections of docs/cli.md: a heading and everything up to the next heading of the same or a higher level. */
function sections(): DocSection[] {
  const lines = docs.split('\n');
  const found: DocSection[] = [];
  lines.forEach((line, index) => {
    const level = /^(#+) /.exec(line)?.[1]?.length;
    if (level === undefined) return;
    const end = lines.findIndex((next, at) => at > index && (/^(#+) /.exec(next)?.[1]?.length ?? Infinity) <= level);
    found.push({ heading: line, text: lines.slice(index, end === -1 ? undefined : end).join('\n') });
  });
  return found;
}

/** Sections whose heading names the command: `leadsync dlq list …`, or a group heading such as `leadsync tokens create|list|revoke`. */
function sectionsOf(command: string): DocSection[] {
  const [group, sub] = command.split(' ');
  return sections().filter(({ heading }) => heading.includes(`leadsync ${group} `) || heading.includes(`leadsync ${group}\``) ? sub === undefined || new RegExp(`leadsync ${group} (?:[a-z|-]*\\|)?${sub}\\b`).test(heading) : false);
}

function everyCommand(): { name: string; help: string }[] {
  const leaves: { name: string; help: string }[] = [];
  for (const name of commandsIn(runCli(['--help']).stdout)) {
    const help = runCli([name, '--help']).stdout;
    const sub = commandsIn(help);
    if (sub.length === 0) leaves.push({ name, help });
    else for (const child of sub) leaves.push({ name: `${name} ${child}`, help: runCli([name, child, '--help']).stdout });
  }
  return leaves;
}

describe('docs/cli.md covers every command and option', SLOW, () => {
  const commands = everyCommand();

  it('finds the commands and their options (the parsing itself works)', () => {
    expect(commands.map((command) => command.name)).toEqual(expect.arrayContaining(['serve', 'dlq list', 'tokens create', 'presets show']));
    expect(optionsIn(commands.find((command) => command.name === 'serve')?.help ?? '')).toEqual(['--config', '--port', '--no-worker', '--json']);
  });

  it('documents the options every command has under "Rules every command follows"', () => {
    const rules = sections().find((section) => section.heading === '## Rules every command follows')?.text ?? '';
    for (const option of EVERY_COMMAND) expect(rules).toContain(`\`${option}`);
  });

  it('has a section for every command, naming each of its options', () => {
    const gaps = commands.flatMap(({ name, help }) => {
      const text = sectionsOf(name).map((section) => section.text).join('\n');
      if (text === '') return [`${name}: no section (a heading with \`leadsync ${name} …\`)`];
      return optionsIn(help)
        .filter((option) => !EVERY_COMMAND.includes(option) && !text.includes(option))
        .map((option) => `${name}: ${option}`);
    });
    expect(gaps).toEqual([]);
  });
});

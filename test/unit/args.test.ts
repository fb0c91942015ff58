// A run's quick parse (args.ts, yargs-parser alone) against yargs (command.ts): every command line the quick
// way accepts must reach the run with the flags yargs would give it; the rest it leaves to yargs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OPTIONS, parseRun } from '../../dist/args.js';
import { command } from '../../dist/command.js';
import type { Flags } from '../../dist/config.js';

/** The flags yargs hands to a run, or 'not a run' when it does something else and returns. */
async function yargsFlags(args: string[]): Promise<Flags | 'not a run'> {
  let flags: Flags | undefined;
  await command(args, async (f) => {
    flags = f;
  });
  if (!flags) return 'not a run';
  const { $0, ...rest } = flags;
  expect($0).toBe('errcode-stream');
  return rest;
}

const VALUES = ['x.log', '-', '', '007', '2024.10', '1e3', '-1', ':9477', 'none', 'route=request.path', 'a b', '中文', 'true', 'false', 'codes', 'help', '--', '-x', '--bogus'];
const optionTokens = Object.entries(OPTIONS).flatMap(([name, o]) => [
  `--${name}`,
  ...(o.type === 'boolean' ? [`--no-${name}`, `--${name}=false`] : [`--${name}=-`, `--${name}=a=b`]),
  ...('alias' in o ? [`-${o.alias}`] : []),
]);
const token = fc.oneof(fc.constantFrom(...optionTokens), fc.constantFrom(...VALUES), fc.string({ maxLength: 6 }));

describe('the quick parse of a run', () => {
  it.each([
    [['--output', 'none', '--listen', 'none']],
    [['--alerts', '-', 'a.log', '-']],
    [['-F', 'a.log', '--from-start', '--state-file', 's.json']],
    [['--no-labels', '--label', 'tenant=tenant_id', '--label', 'region=meta.region']],
    [['--codes', 'a.json', 'b.md', '--route-pattern', '/v1/orders/:id']],
    [['007', '2024.10', '--', '--looks-like-a-flag']],
    [['-_', 'a.log']],
    [['-_']],
  ])('gives %j the flags yargs gives', async (args) => {
    const flags = parseRun(args);
    expect(flags).toBeDefined();
    expect(flags).toEqual(await yargsFlags(args));
  });

  it('keeps file names that look like numbers as they are', () => {
    expect(parseRun(['007', '2024.10', '1e3'])?.['files']).toEqual(['007', '2024.10', '1e3']);
  });

  it.each([
    [['--bogus']],
    [['--no-bogus']],
    [['-Fx', 'a.log']],
    [['--help']],
    [['-h']],
    [['--version']],
    [['codes', '--format', 'json']],
    [['--follow', 'codes']],
    [['a.log', 'help']],
    [['help', '--', 'a.log']],
  ])('leaves %j to yargs', (args) => {
    expect(parseRun(args)).toBeUndefined();
  });

  it('agrees with yargs on every command line it accepts', async () => {
    let accepted = 0;
    let declined = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(token, { maxLength: 8 }), async (args) => {
        const flags = parseRun(args);
        if (flags === undefined) {
          declined++;
          return;
        }
        accepted++;
        expect(await yargsFlags(args)).toEqual(flags);
      }),
      { numRuns: 1000 },
    );
    // Both ways were taken: the property held on real runs, and the generator reaches what yargs must answer.
    expect(accepted).toBeGreaterThan(50);
    expect(declined).toBeGreaterThan(50);
  });
});

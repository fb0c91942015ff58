#!/usr/bin/env node
// The entry point. A run's reader thread starts before anything else is loaded (see engine/spawn.ts), and
// a run's flags are parsed without yargs (see args.ts). --help, --version and the `codes` command do without
// a reader thread; they, and unknown options, load yargs.
import { spawnReaderEarly } from './engine/spawn.js';

const args = process.argv.slice(2);
const isRun = args[0] !== 'codes' && !args.some((a) => a === '--help' || a === '-h' || a === '--version');
if (isRun) spawnReaderEarly();
const { parseRun, startRun } = await import('./args.js');
const flags = parseRun(args);
if (flags) await startRun(flags);
else await (await import('./command.js')).command(args, startRun);

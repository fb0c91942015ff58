#!/usr/bin/env node
// The entry point. A run's reader thread starts before anything else is loaded (see engine/spawn.ts);
// --help, --version and the `codes` command do without one.
import { spawnReaderEarly } from './engine/spawn.js';

const args = process.argv.slice(2);
if (args[0] !== 'codes' && !args.some((a) => a === '--help' || a === '-h' || a === '--version')) spawnReaderEarly();
await import('./command.js');

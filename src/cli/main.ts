#!/usr/bin/env node
import { CommanderError } from 'commander';
import { buildProgram } from './program.js';

/** The `implab` executable: errors become one line on stderr and a non-zero exit. */
async function main(): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its one-line message (or the help/version text).
      process.exitCode = err.exitCode;
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    console.error(`implab: ${message.split('\n')[0]}`);
    process.exitCode = 1;
  }
}

await main();

/**
 * Ctrl-C for commands whose work runs in worker threads: the first SIGINT sets a shared
 * stop flag (the workers poll it and end cleanly, resumably) and prints `message`; a
 * second one exits at once.
 */
export interface Interrupt {
  /** Int32Array target: [0] = 1 once Ctrl-C was pressed. */
  readonly stopFlag: SharedArrayBuffer;
  requested(): boolean;
  /** Removes the SIGINT handler. */
  dispose(): void;
}

/** @example const interrupt = handleInterrupt('stopping...'); try { ... } finally { interrupt.dispose(); } */
export function handleInterrupt(message: string): Interrupt {
  const stopFlag = new SharedArrayBuffer(4);
  const flag = new Int32Array(stopFlag);
  const onSigint = (): void => {
    if (Atomics.load(flag, 0) === 1) process.exit(130);
    Atomics.store(flag, 0, 1);
    process.stderr.write(`\nimplab: ${message} (Ctrl-C again to exit at once)\n`);
  };
  process.on('SIGINT', onSigint);
  return {
    stopFlag,
    requested: () => Atomics.load(flag, 0) === 1,
    dispose: () => process.removeListener('SIGINT', onSigint),
  };
}

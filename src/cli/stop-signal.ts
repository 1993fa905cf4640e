/** A SIGTERM/SIGINT listener installed before a long-running command starts. */
export interface StopSignal {
  /** Resolves at the first SIGTERM or SIGINT since `listenForStopSignal` was called. */
  readonly received: Promise<void>;
  /** Removes the listeners (after the stop, or when the start failed). */
  dispose(): void;
}

/**
 * Listens for SIGTERM and SIGINT from now on. Install it before starting a
 * service and before printing that it runs: a process manager (or a test)
 * that sends SIGTERM the moment it reads the "listening" line must find the
 * listener already there, or the signal's default action kills the process
 * without a graceful stop. A signal that arrives while the service is still
 * starting is kept, and the service stops right after it has started.
 */
export function listenForStopSignal(): StopSignal {
  let resolveReceived: () => void = () => undefined;
  const received = new Promise<void>((resolve) => {
    resolveReceived = resolve;
  });
  const dispose = (): void => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
  // After the first signal the listeners go, so a second Ctrl-C or SIGTERM during the graceful stop ends the process at once.
  function onSignal(): void {
    dispose();
    resolveReceived();
  }
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return { received, dispose };
}

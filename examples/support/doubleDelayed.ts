/**
 * The seed's demo function: waits a second, then doubles its input. Like every remote function
 * it is self-contained: it imports what it needs inside its own body, because it runs in a
 * worker thread far from this module.
 */
export async function doubleDelayed(x: number): Promise<number> {
  const { setTimeout: sleep } = await import('node:timers/promises');
  await sleep(1000); // simulate a function that takes a bit of time
  return x * 2;
}

/**
 * Waits for a condition the test cannot be told about (a webhook delivered, a setting saved by the
 * UI, a state reaching another instance): polls `probe` every `everyMs` and throws, naming `what`,
 * once `timeoutMs` has passed without it holding. Tests wait on conditions, never on fixed sleeps.
 */
export async function until(
  what: string,
  probe: () => boolean | Promise<boolean>,
  options: { timeoutMs?: number; everyMs?: number } = {},
): Promise<void> {
  const { timeoutMs = 10_000, everyMs = 10 } = options
  const end = Date.now() + timeoutMs
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(everyMs)
  }
}

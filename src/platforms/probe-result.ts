/**
 * @module
 * What the admin's account test reports in its last event (`event: test_complete`); a module of
 * its own so that the web UI can import its type without the probe's runtime code.
 */

/** The `test_complete` event's data: how the test went. */
export interface ProbeResult {
  success: boolean
  latencyMs: number
  /** The upstream's HTTP status (0: none). */
  status: number
  /** The answer's text. */
  text: string
  error?: string
}

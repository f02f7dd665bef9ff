/**
 * @module
 * A reactive controller that calls a function every `ms` while its host is connected and the
 * page is visible (dashboards refresh, countdowns tick).
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit'

export class PollingController implements ReactiveController {
  private timer: ReturnType<typeof setInterval> | null = null
  constructor(
    host: ReactiveControllerHost,
    private readonly ms: number,
    private readonly tick: () => void,
  ) {
    host.addController(this)
  }

  hostConnected(): void {
    this.timer = setInterval(() => {
      if (document.visibilityState === 'visible') this.tick()
    }, this.ms)
  }

  hostDisconnected(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }
}

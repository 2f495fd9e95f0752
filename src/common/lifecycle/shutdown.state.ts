import { Injectable } from '@nestjs/common';

/** Set when SIGTERM arrives so readiness fails at once while in-flight work drains. */
@Injectable()
export class ShutdownState {
  private draining = false;
  private readonly listeners: Array<() => void> = [];

  get isDraining(): boolean {
    return this.draining;
  }

  beginDrain(): void {
    if (this.draining) return;
    this.draining = true;
    for (const fn of this.listeners.splice(0)) fn();
  }

  /** Runs `fn` when draining begins (at once if it already has): consumers stop taking new work. */
  onDrain(fn: () => void): void {
    if (this.draining) fn();
    else this.listeners.push(fn);
  }
}

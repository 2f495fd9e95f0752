import { Injectable } from '@nestjs/common';

/** Set when SIGTERM arrives so readiness fails at once while in-flight work drains. */
@Injectable()
export class ShutdownState {
  private draining = false;
  get isDraining(): boolean {
    return this.draining;
  }
  beginDrain(): void {
    this.draining = true;
  }
}

import { Injectable } from '@nestjs/common';
import { invalidField } from '../common/errors/validation';
import type { TaskHandler } from './handlers/task-handler';

/** Handlers by type name, built from the providers listed in handlers/index.ts. */
@Injectable()
export class TaskRegistry {
  private readonly byType = new Map<string, TaskHandler>();

  constructor(handlers: TaskHandler[]) {
    for (const h of handlers) {
      if (this.byType.has(h.type)) throw new Error(`task type ${h.type} registered twice`);
      this.byType.set(h.type, h);
    }
  }

  get types(): string[] {
    return [...this.byType.keys()].sort();
  }

  find(type: string): TaskHandler | undefined {
    return this.byType.get(type);
  }

  /** The handler for `type`, or a 400 listing the known types. */
  get(type: string): TaskHandler {
    const handler = this.byType.get(type);
    if (handler) return handler;
    throw invalidField('type', `type must be one of: ${this.types.join(', ')}`);
  }
}

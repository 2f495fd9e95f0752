import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { invalidField } from '../common/errors/validation';
import {
  taskSchemasConfig,
  tasksConfig,
  type TaskSchemasConfig,
  type TasksConfig,
} from '../config';
import { ExternalSchemas } from './external/external-schemas';
import { ExternalTypes } from './external/external-types';
import { TaskHandlerProvider, type TaskHandler } from './handlers/task-handler';

/**
 * Handlers by type name. Built at module init from every provider of the app marked
 * `@TaskHandlerProvider()`, whichever module contributes it (tasks' own echo and sleep, counter's
 * counter.increment, compat's ephemeral.process), so tasks depends on no feature. Init runs before
 * the HTTP server listens and before workers start (onApplicationBootstrap), so no caller sees an
 * empty registry.
 */
@Injectable()
export class TaskRegistry implements OnModuleInit {
  private readonly byType = new Map<string, TaskHandler>();
  private readonly external: ExternalTypes;
  private readonly schemas: ExternalSchemas;

  constructor(
    private readonly discovery: DiscoveryService,
    @Inject(tasksConfig.KEY) cfg: TasksConfig,
    @Inject(taskSchemasConfig.KEY) schemasCfg: TaskSchemasConfig,
  ) {
    this.external = new ExternalTypes(cfg.externalTypes);
    this.schemas = new ExternalSchemas(schemasCfg.schemas, this.external);
  }

  onModuleInit(): void {
    const handlers = this.discovery
      .getProviders({ metadataKey: TaskHandlerProvider.KEY })
      .map((w) => w.instance as TaskHandler | undefined)
      .filter((h): h is TaskHandler => Boolean(h));
    this.register(handlers);
  }

  /** Adds handlers; a type registered twice (two modules claiming one name) stops the app. */
  register(handlers: TaskHandler[]): void {
    for (const h of handlers) {
      const known = this.byType.get(h.type);
      if (known === h) continue; // the same provider seen again (a module imported twice)
      if (known) throw new Error(`task type ${h.type} registered twice`);
      this.byType.set(h.type, h);
    }
  }

  /** Built-in types, then the external names and patterns of TASKS_EXTERNAL_TYPES. */
  get types(): string[] {
    return [...[...this.byType.keys()].sort(), ...this.external.declared];
  }

  /** The built-in types (run by this service's workers), sorted. */
  get builtIn(): string[] {
    return [...this.byType.keys()].sort();
  }

  /** The built-in handler of `type` (what the built-in worker runs). */
  find(type: string): TaskHandler | undefined {
    return this.byType.get(type);
  }

  /** External: run by workers over HTTP. A built-in handler of the same name wins. */
  isExternal(type: string): boolean {
    return !this.byType.has(type) && this.external.matches(type);
  }

  /** The handler for `type` (external types get one that accepts any JSON payload), or a 400 listing the known types. */
  get(type: string): TaskHandler {
    const handler = this.byType.get(type);
    if (handler) return handler;
    if (this.external.matches(type)) return externalHandler(type, this.schemas);
    throw invalidField('type', `type must be one of: ${this.types.join(', ')}`);
  }
}

/**
 * An external type as the submission path sees it: any JSON payload, or one its schema accepts
 * (TASKS_EXTERNAL_SCHEMAS_FILE); never run in this service.
 */
function externalHandler(type: string, schemas: ExternalSchemas): TaskHandler {
  return {
    type,
    description: 'external: leased and run by workers over HTTP',
    parse: (payload) => schemas.check(type, payload),
    run: () => Promise.reject(new Error(`task type ${type} is run by external workers`)),
  };
}

import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { counter, histogram, scrapedGauge } from '../observability/metric';
import { TASK_STATUSES, statusOf } from './task.types';

type Counts = () => Promise<Record<string, number>>;

const SCRAPE_BUDGET_MS = 500;

@Injectable()
export class TasksMetrics implements OnApplicationShutdown {
  readonly submitted = counter({
    name: 'tasks_submitted_total',
    help: 'Tasks accepted for processing, by type',
    labelNames: ['type'] as const,
  });

  readonly duration = histogram({
    name: 'task_duration_seconds',
    help: 'Task run time by type and result (completed or failed; a failed run may be retried)',
    labelNames: ['type', 'result'] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
  });

  private readonly depth = scrapedGauge({
    name: 'tasks_queue_jobs',
    help: 'Tasks in the queue by state, read from BullMQ at scrape time',
    labelNames: ['state'] as const,
  });
  private unwatch?: () => void;

  /** Reads queue counts at scrape time: one BullMQ call, bounded, so an outage never hangs a scrape. */
  watch(read: Counts): void {
    this.unwatch = this.depth.collectWith(async (g) => {
      const budget = new Promise<undefined>((r) =>
        setTimeout(() => r(undefined), SCRAPE_BUDGET_MS).unref(),
      );
      const counts = await Promise.race([read(), budget]).catch(() => undefined);
      g.reset();
      if (!counts) return;
      const byStatus = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0]));
      for (const [state, n] of Object.entries(counts)) {
        const status = statusOf(state);
        if (status) byStatus[status] += n;
      }
      for (const [state, n] of Object.entries(byStatus)) g.set({ state }, n);
    });
  }

  onApplicationShutdown(): void {
    this.unwatch?.();
  }
}

import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { counter, gauge, histogram } from '../observability/metric';
import { TASK_STATUSES, statusOf } from './task.types';

type Counts = () => Promise<Record<string, number>>;

/**
 * Metrics live in the process-wide registry while apps come and go (tests boot several), so the
 * depth gauge reads from whichever app registered last, through this indirection.
 */
const sources: Counts[] = [];
const SCRAPE_BUDGET_MS = 500;

@Injectable()
export class TasksMetrics implements OnApplicationShutdown {
  private source?: Counts;

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

  readonly depth = gauge({
    name: 'tasks_queue_jobs',
    help: 'Tasks in the queue by state, read from BullMQ at scrape time',
    labelNames: ['state'] as const,
    async collect() {
      const read = sources.at(-1);
      if (!read) return;
      // One BullMQ call per scrape, bounded: a scrape during an outage reports nothing instead of hanging.
      const counts = await Promise.race([read(), new Promise<undefined>((r) => setTimeout(() => r(undefined), SCRAPE_BUDGET_MS).unref())]).catch(
        () => undefined,
      );
      this.reset();
      if (!counts) return;
      const byStatus = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0]));
      for (const [state, n] of Object.entries(counts)) {
        const status = statusOf(state);
        if (status) byStatus[status] += n;
      }
      for (const [state, n] of Object.entries(byStatus)) this.set({ state }, n);
    },
  });

  watch(read: Counts): void {
    this.source = read;
    sources.push(read);
  }

  onApplicationShutdown(): void {
    const i = this.source ? sources.indexOf(this.source) : -1;
    if (i >= 0) sources.splice(i, 1);
  }
}

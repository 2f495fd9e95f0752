import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { counter, histogram, scrapedGauge } from '../observability/metric';
import { TASK_STATUSES, statusOf } from './task.types';

export type LeaseOutcome = 'completed' | 'requeued' | 'failed' | 'lease_lost' | 'not_found';

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

  /** External types: tasks handed out by POST /v1/tasks/lease. */
  readonly leases = counter({
    name: 'tasks_leases_granted_total',
    help: 'External tasks leased to HTTP workers, by type',
    labelNames: ['type'] as const,
  });

  /** Leases that ran out: the stalled checker of this process put the task back (or failed it). */
  readonly leasesExpired = counter({
    name: 'tasks_leases_expired_total',
    help: 'Leases of external tasks that expired without a complete or fail, by type',
    labelNames: ['type'] as const,
  });

  /**
   * How leased tasks end, per item (a batch complete counts each): `op` complete | fail,
   * `outcome` completed | requeued | failed | lease_lost | not_found.
   */
  readonly leaseFinishes = counter({
    name: 'tasks_lease_finishes_total',
    help: 'Completes and fails of leased external tasks by outcome',
    labelNames: ['op', 'outcome'] as const,
  });

  finished(op: 'complete' | 'fail', outcome: LeaseOutcome): void {
    this.leaseFinishes.inc({ op, outcome });
  }

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

import { describe, expect, it } from 'vitest';
import type { DashboardStatsStore } from '../../src/ports/dashboard-stats-store.js';
import type { StoragePorts } from '../../src/ports/storage-ports.js';
import { auditDraft, newEvent } from '../support/storage-fixtures.js';

/** A fresh, empty backend for one test: its stats and the ports that feed them. */
export type DashboardStatsFactory = () => Promise<{ readonly stats: DashboardStatsStore; readonly storage: StoragePorts }>;

const T0 = new Date('2026-11-27T10:00:00.000Z');
const at = (minutes: number): Date => new Date(T0.getTime() + minutes * 60_000);

/** The one contract every DashboardStatsStore adapter passes. */
export function dashboardStatsStoreContract(label: string, open: DashboardStatsFactory): void {
  describe(`DashboardStatsStore contract: ${label}`, () => {
    it('counts accepted events and audit outcomes per bucket, source and lane', async () => {
      const { stats, storage } = await open();
      const first = await storage.ingest.accept(newEvent({ leadId: 'a', receivedAt: at(1), lane: 'realtime' }));
      await storage.ingest.accept(newEvent({ leadId: 'b', receivedAt: at(2), lane: 'realtime' }));
      await storage.ingest.accept(newEvent({ source: 'segment', leadId: 'c', receivedAt: at(65), lane: 'batch' }));
      if (first.status !== 'queued') throw new Error('not queued');
      await storage.audit.append([
        auditDraft({ time: at(3).toISOString(), eventId: first.eventId, outcome: 'written' }),
        auditDraft({ time: at(4).toISOString(), eventId: first.eventId, outcome: 'dead_lettered' }),
        auditDraft({ time: at(70).toISOString(), outcome: 'approved', source: 'webform' }),
      ]);

      const series = await stats.timeseries({ from: T0, to: at(120), bucketMinutes: 60 });
      expect(series.buckets).toEqual([T0, at(60)]);
      const find = (source: string, lane: string, metric: string): readonly number[] | undefined => series.series.find((s) => s.source === source && s.lane === lane && s.metric === metric)?.counts;
      expect(find('webform', 'realtime', 'received')).toEqual([2, 0]);
      expect(find('segment', 'batch', 'received')).toEqual([0, 1]);
      expect(find('webform', 'realtime', 'written')).toEqual([1, 0]);
      expect(find('webform', 'realtime', 'dead_lettered')).toEqual([1, 0]);
      // An audit entry without an event (a person's decision) has no lane.
      expect(find('webform', 'none', 'approved')).toEqual([0, 1]);

      const onlySegment = await stats.timeseries({ from: T0, to: at(120), bucketMinutes: 30, source: 'segment' });
      expect(onlySegment.series).toEqual([{ source: 'segment', lane: 'batch', metric: 'received', counts: [0, 0, 1, 0] }]);
      await expect(stats.timeseries({ from: T0, to: at(60 * 24 * 30), bucketMinutes: 1 })).rejects.toThrow(/buckets/);
    });

    it('counts buckets of whole hours (read from the hourly rollup) exactly as the sum of their minutes, across hour and day boundaries', async () => {
      const { stats, storage } = await open();
      const accepted = [];
      // Either side of 11:00 and 12:00, the day before, and after the range's end (12:11) inside its last hour.
      for (const minute of [-610, 50, 59, 60, 61, 119, 125, 135]) accepted.push(await storage.ingest.accept(newEvent({ leadId: `lead${minute}`, receivedAt: at(minute) })));
      await storage.ingest.accept(newEvent({ source: 'segment', leadId: 's', receivedAt: at(120), lane: 'batch' }));
      const event = accepted[1];
      if (event?.status !== 'queued') throw new Error('not queued');
      await storage.audit.append([
        auditDraft({ time: at(59).toISOString(), eventId: event.eventId, outcome: 'written' }),
        auditDraft({ time: at(60).toISOString(), eventId: event.eventId, outcome: 'written' }),
        auditDraft({ time: at(130).toISOString(), outcome: 'approved', source: 'webform' }),
        auditDraft({ time: at(131).toISOString(), outcome: 'approved', source: 'webform' }),
      ]);
      const to = at(131);

      const hourly = await stats.timeseries({ from: T0, to, bucketMinutes: 60 });
      expect(hourly.buckets).toEqual([T0, at(60), at(120)]);
      const find = (source: string, lane: string, metric: string): readonly number[] | undefined => hourly.series.find((s) => s.source === source && s.lane === lane && s.metric === metric)?.counts;
      expect(find('webform', 'realtime', 'received')).toEqual([2, 3, 1]);
      expect(find('segment', 'batch', 'received')).toEqual([0, 0, 1]);
      expect(find('webform', 'realtime', 'written')).toEqual([1, 1, 0]);
      expect(find('webform', 'none', 'approved')).toEqual([0, 0, 1]);

      for (const [bucketMinutes, source] of [[60, undefined], [120, undefined], [1440, undefined], [60, 'webform'], [180, 'segment']] as const) {
        const coarse = await stats.timeseries({ from: at(-30), to, bucketMinutes, ...(source === undefined ? {} : { source }) });
        const start = coarse.buckets[0];
        if (start === undefined) throw new Error('no buckets');
        const minutes = await stats.timeseries({ from: start, to, bucketMinutes: 1, ...(source === undefined ? {} : { source }) });
        const summed = minutes.series.map((series) => {
          const counts = new Array<number>(coarse.buckets.length).fill(0);
          series.counts.forEach((n, index) => {
            const bucket = Math.floor((minutes.buckets[index]!.getTime() - start.getTime()) / (bucketMinutes * 60_000));
            counts[bucket] = (counts[bucket] ?? 0) + n;
          });
          return { ...series, counts };
        });
        expect(coarse.series, `${bucketMinutes}-minute buckets${source === undefined ? '' : ` of ${source}`}`).toEqual(summed);
      }
    });

    it('reports totals since a time, queue depth and age, open DLQ items and pending approvals', async () => {
      const { stats, storage } = await open();
      await storage.ingest.accept(newEvent({ leadId: 'a', receivedAt: at(1) }));
      await storage.ingest.accept(newEvent({ leadId: 'b', receivedAt: at(30), lane: 'batch' }));
      const overview = await stats.overview(at(10));
      expect(overview.totals).toEqual([{ source: 'webform', lane: 'batch', metric: 'received', n: 1 }]);
      expect(overview.queue.map((lane) => [lane.lane, lane.depth, lane.oldestEnqueuedAt instanceof Date])).toEqual([
        ['realtime', 1, true],
        ['batch', 1, true],
      ]);
      expect(overview).toMatchObject({ deadLettersOpen: 0, approvalsPending: 0 });
      const empty = await stats.overview(at(60));
      expect(empty.totals).toEqual([]);
    });
  });
}

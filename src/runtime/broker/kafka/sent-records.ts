/**
 * The records a plain producer with onRecordFailure has handed to librdkafka and not yet seen
 * flushed, so that a failed delivery report can name its record to the handler.
 *
 * Why not produce()'s opaque: the binding keeps a persistent handle per opaque and frees it only
 * when it delivers the record's report, and with delivery.report.only.error a delivered record
 * has no report, so every opaque would leak. A failed report carries the record's topic,
 * partition, key, value (dr_msg_cb) and timestamp instead; the record is found by those. Records
 * with identical contents are interchangeable for the handler; each report takes a different one.
 */
import type { OutgoingRecord } from '../broker'
import type { NativeDeliveryReport } from './rdkafka'

export class SentRecords {
  private records: (OutgoingRecord | undefined)[] = []
  /** Where the last match was: the records of one refused batch are reported in order. */
  private hint = 0

  get length(): number {
    return this.records.length
  }

  add(record: OutgoingRecord): void {
    this.records.push(record)
  }

  /** Forgets the first `count` records: a flush that started after they were sent has finished. */
  forget(count: number): void {
    this.records = count >= this.records.length ? [] : this.records.slice(count)
    this.hint = 0
  }

  /** The record the failed report is about, taken out of the list; undefined if none matches. */
  take(report: NativeDeliveryReport): OutgoingRecord | undefined {
    const n = this.records.length
    for (let k = 0; k < n; k++) {
      const i = (this.hint + k) % n
      const r = this.records[i]
      if (r === undefined || !matches(r, report)) continue
      this.records[i] = undefined
      this.hint = i + 1
      return r
    }
    return undefined
  }
}

function matches(r: OutgoingRecord, report: NativeDeliveryReport): boolean {
  return (
    r.topic === report.topic &&
    (r.partition === undefined || r.partition === report.partition) &&
    (report.timestamp === undefined || r.timestamp === report.timestamp) &&
    sameBytes(r.key, report.key) &&
    sameBytes(r.value, report.value)
  )
}

/** null and empty are one here: the report does not tell them apart. */
function sameBytes(a: Buffer | null, b: Buffer | null | undefined): boolean {
  const aLen = a?.length ?? 0
  const bLen = b?.length ?? 0
  if (aLen !== bLen) return false
  return aLen === 0 || a!.equals(b!)
}

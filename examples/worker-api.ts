/**
 * The parts of the worker context (`attach(worker)` in a `streamfold run` module) this example
 * uses, written out because the package does not export the worker's types yet. The real type
 * is WorkerContext in src/runtime/cli/worker-module.ts; test/cli checks that this one fits it.
 */
export interface ExampleRecord {
  readonly topic: string
  readonly partition: number
  readonly offset: number
  readonly key: Buffer | null
  readonly value: Buffer | null
}

export interface ExampleBroker {
  admin(): {
    ensureTopics(specs: ReadonlyArray<{ readonly name: string; readonly partitions: number; readonly config?: Readonly<Record<string, string>> }>): Promise<void>
    partitionCounts(topics: readonly string[]): Promise<Map<string, number>>
  }
  producer(options?: { readonly clientId?: string }): {
    connect(): Promise<void>
    send(record: { readonly topic: string; readonly key: Buffer | null; readonly value: Buffer | null; readonly timestamp: number; readonly headers: readonly [] }): void
    flush(): Promise<void>
    close(): Promise<void>
  }
  reader(): {
    readToEnd(
      from: { readonly topic: string; readonly partition: number; readonly offset: number },
      onBatch: (records: readonly ExampleRecord[]) => void,
      options?: { readonly isolationLevel?: 'read_committed' | 'read_uncommitted' },
    ): Promise<number>
    close(): Promise<void>
  }
}

export interface ExampleStats {
  readonly state: string | undefined
  readonly processed: number
  readonly recordsPerSecond: number
  readonly lag: number
  readonly errors: Readonly<Record<string, number>>
}

export interface ExampleWorker {
  readonly broker: ExampleBroker
  readonly signal: AbortSignal
  readonly stdout: NodeJS.WritableStream
  stats(): ExampleStats
}

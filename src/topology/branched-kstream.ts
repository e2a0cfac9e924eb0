import { branchProcessor } from '../processors/stateless/branch-processor'
import type { Predicate } from '../processors/stateless/filter-processor'
import { passThroughProcessor } from '../processors/stateless/pass-through-processor'
import type { DslContext } from './dsl-context'
import { KStream } from './kstream'
import { extendLineage } from './stable-name'
import type { StreamInfo } from './stream-info'

export interface BranchOptions<K, V, N extends string> {
  /** Branch name; the branch's node and map key are `splitName + name` (default: its 1-based index, or 0 for the default branch). */
  readonly name?: N
  /** Builds on the branch; its result is what the returned map holds for this branch. */
  readonly withFunction?: (branch: KStream<K, V>) => KStream<K, V>
  /** Consumes the branch; the returned map then has no entry for it. */
  readonly withConsumer?: (branch: KStream<K, V>) => void
}

/**
 * The result of `KStream.split()`: add branches in order; each record goes to the FIRST branch
 * whose predicate matches, else to the default branch, else it is dropped. `defaultBranch()` or
 * `noDefaultBranch()` ends the split and returns the branches by name, typed by the names given.
 */
export class BranchedKStream<K, V, Prefix extends string = string, Names extends string = never> {
  private readonly predicates: Predicate<K, V>[] = []
  private readonly children: string[] = []
  private defaultChild: string | undefined
  private readonly branches: Record<string, KStream<K, V>> = {}

  /** @internal */
  constructor(
    private readonly dsl: DslContext,
    private readonly parent: StreamInfo<K, V>,
    private readonly splitName: string,
  ) {
    dsl.graph.addProcessor(splitName, branchProcessor(this.predicates, this.children, () => this.defaultChild), parent.nodeName)
  }

  branch<N extends string = string>(
    predicate: Predicate<K, V>,
    options?: BranchOptions<K, V, N>,
  ): BranchedKStream<K, V, Prefix, Names | `${Prefix}${N}`> {
    this.predicates.push(predicate)
    const child = this.addBranch(String(this.predicates.length), options)
    this.children.push(child)
    return this as BranchedKStream<K, V, Prefix, Names | `${Prefix}${N}`>
  }

  defaultBranch<N extends string = string>(options?: BranchOptions<K, V, N>): Record<Names | `${Prefix}${N}`, KStream<K, V>> {
    this.defaultChild = this.addBranch('0', options)
    return this.branches as Record<Names | `${Prefix}${N}`, KStream<K, V>>
  }

  noDefaultBranch(): Record<Names, KStream<K, V>> {
    return this.branches as Record<Names, KStream<K, V>>
  }

  private addBranch<N extends string>(index: string, options: BranchOptions<K, V, N> | undefined): string {
    const child = this.splitName + (options?.name ?? index)
    this.dsl.graph.addProcessor(child, passThroughProcessor<K, V>(), this.splitName)
    const stream = new KStream<K, V>(this.dsl, { ...this.parent, nodeName: child, lineage: extendLineage(this.parent.lineage, 'branch', child) })
    if (options?.withConsumer !== undefined) {
      options.withConsumer(stream)
    } else {
      this.branches[child] = options?.withFunction !== undefined ? options.withFunction(stream) : stream
    }
    return child
  }
}

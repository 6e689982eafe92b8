import { createPubSub } from '@graphql-yoga/subscription';
import { Arg, Authorized, Field, Int, ObjectType, Query, Resolver, Root, Subscription } from 'type-graphql';
import { Scope } from '../../src/auth';
import { buildGatewaySchema } from '../../src/schema/build-schema';

/**
 * Fields that exist only in tests, served by the real server: a recursive type
 * to build deep queries, a scoped field, a slow field and a failing one, and a
 * counter that proves whether any resolver ran.
 */
export const probeCalls = { count: 0, started: 0 };

@ObjectType()
class ProbeNode {
  @Field(() => Int)
  level!: number;

  @Field(() => ProbeNode)
  child(): ProbeNode {
    probeCalls.count += 1;
    return Object.assign(new ProbeNode(), { level: this.level + 1 });
  }
}

@Resolver()
class ProbeResolver {
  @Authorized()
  @Query(() => ProbeNode)
  probe(): ProbeNode {
    probeCalls.count += 1;
    return Object.assign(new ProbeNode(), { level: 1 });
  }

  @Authorized(Scope.OpsRead)
  @Query(() => String)
  opsOnly(): string {
    probeCalls.count += 1;
    return 'ops';
  }

  @Query(() => String)
  async slow(@Arg('ms', () => Int) ms: number): Promise<string> {
    probeCalls.started += 1;
    await new Promise((resolve) => setTimeout(resolve, ms));
    return `slept ${ms}`;
  }

  @Query(() => Int)
  textLength(@Arg('text', () => String) text: string): number {
    return text.length;
  }

  @Query(() => String)
  boom(): string {
    throw new Error('internal detail: db password is hunter2');
  }

  @Authorized()
  @Subscription(() => Int, {
    subscribe: async function* ({ args }) {
      for (let i = 1; i <= (args as { count: number }).count; i += 1) yield i;
    },
  })
  ticks(@Root() tick: number, @Arg('count', () => Int) _count: number): number {
    return tick;
  }
}

export function buildProbeSchema() {
  return buildGatewaySchema({ extraResolvers: [ProbeResolver], pubSub: createPubSub() });
}

/** `{ probe { child { child ... { level } } } }` with `depth` levels of selection. */
export function deepProbeQuery(depth: number): string {
  return `{ probe { ${'child { '.repeat(depth - 2)}level${' }'.repeat(depth - 2)} } }`;
}

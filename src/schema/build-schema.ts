import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchemaSync, type NonEmptyArray, type PubSub } from 'type-graphql';
import { resolvers } from '../resolvers';
import { scopeAuthChecker } from './auth-checker';

export const SCHEMA_FILE_HEADER =
  '# Generated from the type-graphql classes in src/ by `npm run schema:emit`; do not edit.\n' +
  '# A test fails when this file differs from what the code builds.\n';

export interface BuildSchemaOptions {
  /** Extra resolver classes; tests use this to probe the server with fields of their own. */
  readonly extraResolvers?: readonly Function[];
  /** Needed by type-graphql once a schema has subscriptions. */
  readonly pubSub?: PubSub;
}

/** The gateway's executable schema, built from the type-graphql classes. */
export function buildGatewaySchema({ extraResolvers = [], pubSub }: BuildSchemaOptions = {}): GraphQLSchema {
  return buildSchemaSync({
    ...(pubSub ? { pubSub } : {}),
    resolvers: [...resolvers, ...extraResolvers] as unknown as NonEmptyArray<Function>,
    authChecker: scopeAuthChecker,
    authMode: 'error',
    validate: false,
  });
}

/** The SDL committed as schema.graphql: sorted, so it changes only when the schema does. */
export function printGatewaySchema(schema: GraphQLSchema = buildGatewaySchema()): string {
  return `${SCHEMA_FILE_HEADER}\n${printSchema(lexicographicSortSchema(schema))}\n`;
}

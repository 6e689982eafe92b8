import { ConnectionResolver } from './connection.resolver';
import { ViewerResolver } from './viewer.resolver';

/** Every resolver class of the public schema. */
export const resolvers = [ViewerResolver, ConnectionResolver] as const;

import { Field, ObjectType } from 'type-graphql';
import type { Viewer } from '../auth';

@ObjectType('Viewer', { description: 'The verified caller of this request.' })
export class ViewerType {
  @Field(() => String, { description: 'The brand (tenant) every read and write is scoped to.' })
  brand!: string;

  @Field(() => String, { description: 'The token subject (`sub`).' })
  subject!: string;

  @Field(() => [String], { description: 'Scopes the token grants that the gateway knows.' })
  scopes!: string[];

  static from(viewer: Viewer): ViewerType {
    return Object.assign(new ViewerType(), { brand: viewer.brand, subject: viewer.subject, scopes: [...viewer.scopes].sort() });
  }
}

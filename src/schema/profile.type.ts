import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { IdentifierKind } from './enums';
import { DateTimeScalar, JSONObjectScalar } from './scalars';

@ObjectType('Identifier')
export class IdentifierType {
  @Field(() => IdentifierKind)
  kind!: keyof typeof IdentifierKind;

  @Field(() => String)
  value!: string;
}

@ObjectType('Profile', { description: 'One shopper as the identity graph knows them, within one brand.' })
export class ProfileType {
  @Field(() => ID)
  id!: string;

  @Field(() => [IdentifierType])
  identifiers!: IdentifierType[];

  @Field(() => String, { nullable: true, description: 'Normalized: trimmed, lower-cased.' })
  email!: string | null;

  @Field(() => String, { nullable: true, description: 'E.164.' })
  phone!: string | null;

  @Field(() => String, { nullable: true })
  externalId!: string | null;

  @Field(() => JSONObjectScalar, { description: 'first_name, last_name, ... as last identified.' })
  attributes!: Record<string, unknown>;

  @Field(() => [ID], { description: 'Profiles merged into this one.' })
  mergedProfileIds!: string[];

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => DateTimeScalar)
  updatedAt!: Date;
}

@InputType('IdentityInput')
export class IdentityInputType {
  @Field(() => String, { nullable: true })
  anonymousId?: string | null;

  @Field(() => String, { nullable: true })
  email?: string | null;

  @Field(() => String, { nullable: true, description: 'Any common format; stored and sent as E.164.' })
  phone?: string | null;

  @Field(() => String, { nullable: true })
  externalId?: string | null;

  @Field(() => String, { nullable: true, description: "The _kx value from Klaviyo's onsite cookie." })
  klaviyoExchangeId?: string | null;
}

import { Field, ID, Int, ObjectType } from 'type-graphql';
import { AuthMethod, ConnectionStatus, Environment, HealthState } from './enums';
import { DateTimeScalar } from './scalars';

@ObjectType('ConnectionError')
export class ConnectionErrorType {
  @Field(() => String)
  code!: string;

  @Field(() => String)
  message!: string;

  @Field(() => DateTimeScalar)
  at!: Date;
}

@ObjectType('ConnectionHealth', { description: 'Whether events can reach Klaviyo, in words a person can act on.' })
export class ConnectionHealthType {
  @Field(() => HealthState)
  state!: keyof typeof HealthState;

  @Field(() => String, { description: 'One sentence for a person, e.g. "Klaviyo refused the refresh token: reconnect the app".' })
  summary!: string;

  @Field(() => DateTimeScalar, { nullable: true })
  lastDeliveredAt!: Date | null;

  @Field(() => Int)
  heldDeliveries!: number;
}

@ObjectType('Connection', { description: "A brand's Klaviyo connection for one environment. Secrets (tokens, API keys) are never exposed by any field." })
export class ConnectionType {
  @Field(() => ID)
  id!: string;

  @Field(() => Environment)
  environment!: keyof typeof Environment;

  @Field(() => AuthMethod)
  authMethod!: keyof typeof AuthMethod;

  @Field(() => ConnectionStatus)
  status!: keyof typeof ConnectionStatus;

  @Field(() => String, { nullable: true })
  klaviyoAccountId!: string | null;

  @Field(() => String, { nullable: true })
  klaviyoAccountName!: string | null;

  @Field(() => Boolean, { nullable: true, description: 'From GET /api/accounts.' })
  klaviyoTestAccount!: boolean | null;

  @Field(() => [String])
  scopes!: string[];

  @Field(() => DateTimeScalar, { nullable: true })
  accessTokenExpiresAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  lastRefreshedAt!: Date | null;

  @Field(() => ConnectionErrorType, { nullable: true })
  lastError!: ConnectionErrorType | null;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => DateTimeScalar)
  updatedAt!: Date;
}

@ObjectType('AuthorizationRequest')
export class AuthorizationRequestType {
  @Field(() => String, { description: 'KLAVIYO_AUTHORIZE_URL with response_type, client_id, redirect_uri, scope, state, code_challenge, code_challenge_method=S256.' })
  authorizeUrl!: string;

  @Field(() => String)
  state!: string;

  @Field(() => DateTimeScalar)
  expiresAt!: Date;
}

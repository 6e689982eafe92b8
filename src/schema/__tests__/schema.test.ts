import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, isEnumType, isInputObjectType, isInterfaceType, isObjectType, type GraphQLNamedType } from 'graphql';
import { buildGatewaySchema, printGatewaySchema } from '../build-schema';

const root = join(__dirname, '..', '..', '..');

describe('schema.graphql', () => {
  it('is exactly what the code builds (run `npm run schema:emit` after changing types)', () => {
    expect(readFileSync(join(root, 'schema.graphql'), 'utf8')).toBe(printGatewaySchema());
  });
});

/** Field signatures of a type as "name(arg: Type): Type" strings, for comparison. */
function signatures(type: GraphQLNamedType): Map<string, string> {
  const out = new Map<string, string>();
  if (isObjectType(type) || isInterfaceType(type)) {
    for (const field of Object.values(type.getFields())) {
      // Argument order carries no meaning in GraphQL (they are passed by name), so compare them sorted.
      const args = [...field.args].sort((a, b) => a.name.localeCompare(b.name));
      out.set(field.name, `(${args.map((a) => `${a.name}: ${String(a.type)}${a.defaultValue === undefined ? '' : ` = ${JSON.stringify(a.defaultValue)}`}`).join(', ')}): ${String(field.type)}`);
    }
  } else if (isInputObjectType(type)) {
    for (const field of Object.values(type.getFields())) out.set(field.name, String(field.type));
  } else if (isEnumType(type)) {
    for (const value of type.getValues()) out.set(value.name, 'value');
  }
  return out;
}

describe('the public contract (docs/api-contract.graphql)', () => {
  const contract = buildSchema(readFileSync(join(root, 'docs', 'api-contract.graphql'), 'utf8'));
  const ours = buildGatewaySchema();

  it('is matched exactly by every type and field the gateway already serves', () => {
    const mismatches: string[] = [];
    for (const ourType of Object.values(ours.getTypeMap())) {
      if (ourType.name.startsWith('__')) continue;
      const theirs = contract.getType(ourType.name);
      if (!theirs) continue; // an addition: allowed
      if (theirs.constructor !== ourType.constructor) mismatches.push(`${ourType.name}: is a ${ourType.constructor.name}, the contract says ${theirs.constructor.name}`);
      const ourFields = signatures(ourType);
      for (const [field, signature] of signatures(theirs)) {
        const mine = ourFields.get(field);
        // An enum must hold every contract value from the day it enters the schema.
        if (mine === undefined && isEnumType(theirs)) mismatches.push(`${ourType.name}.${field}: missing`);
        if (mine !== undefined && mine !== signature) mismatches.push(`${ourType.name}.${field}: ${mine}, the contract says ${signature}`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});

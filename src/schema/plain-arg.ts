import { createParameterDecorator } from 'type-graphql';

type ArgDeclaration = NonNullable<Parameters<typeof createParameterDecorator>[1]>['arg'] & object;

/**
 * `@Arg`, but the resolver gets the argument as graphql-js coerced it (plain
 * objects) instead of copies made into the input classes. For the intake
 * mutations, whose 500 inputs a call were copied once more per request with
 * `@Arg`, for nothing: the resolvers read them as plain data.
 */
export function PlainArg(name: string, typeFunc: ArgDeclaration['typeFunc']): ReturnType<typeof createParameterDecorator> {
  return createParameterDecorator(({ args }) => args[name], { arg: { name, typeFunc } });
}

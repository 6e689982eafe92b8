import { Authorized, Ctx, Query, Resolver } from 'type-graphql';
import type { GatewayContext } from '../context';
import { requireViewer } from '../schema/auth-checker';
import { ViewerType } from '../schema/viewer.type';

@Resolver()
export class ViewerResolver {
  @Authorized()
  @Query(() => ViewerType, { description: 'Who the token says the caller is; any valid token.' })
  viewer(@Ctx() context: GatewayContext): ViewerType {
    return ViewerType.from(requireViewer(context));
  }
}

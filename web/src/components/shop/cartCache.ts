import type { ApolloCache } from '@apollo/client';
import { ShopMyCartDocument, type ShopMyCartQuery } from '../../gql/graphql';

export type CartData = ShopMyCartQuery['myCart'];

/**
 * Puts the cart a mutation answered into the cache as `myCart`, so the cart
 * page and the header's count update without another request.
 */
export function writeCart(cache: ApolloCache<unknown>, cart: CartData | null | undefined): void {
  if (!cart) return;
  cache.writeQuery({ query: ShopMyCartDocument, data: { myCart: cart } });
}

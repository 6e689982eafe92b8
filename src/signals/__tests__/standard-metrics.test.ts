import { PropertiesContract } from '../properties-schema';
import { STANDARD_METRICS } from '../standard-metrics';

const contract = (key: string) => {
  const metric = STANDARD_METRICS.find((m) => m.key === key)!;
  const compiled = PropertiesContract.compile(metric.contract.propertiesSchema as Record<string, unknown>);
  if (Array.isArray(compiled)) throw new Error(compiled[0]?.message);
  return compiled;
};

/** A cart as a storefront sends it for Klaviyo's dynamic product blocks. */
const cart = {
  CartID: 'c_81723',
  CheckoutURL: 'https://shop.example.com/checkout/c_81723',
  Currency: 'USD',
  CartTotal: 134.5,
  ItemCount: 3,
  ItemNames: ['Trail Runner 2', 'Merino Socks'],
  Categories: ['Shoes', 'Running', 'Accessories'],
  Items: [
    { ProductID: 'p_1001', VariantID: 'v_1001_42', SKU: 'TR2-42-BLK', ProductName: 'Trail Runner 2', Quantity: 1, Price: 119.5, RowTotal: 119.5, URL: 'https://shop.example.com/p/trail-runner-2', ImageURL: 'https://cdn.example.com/tr2.jpg', Categories: ['Shoes', 'Running'] },
    { ProductID: 'p_2002', ProductName: 'Merino Socks', Quantity: 2, Price: 7.5, URL: 'https://shop.example.com/p/merino-socks', ImageURL: 'https://cdn.example.com/socks.jpg' },
  ],
};

describe('the standard metrics', () => {
  it('are five valid contracts with Klaviyo-sized names', () => {
    expect(STANDARD_METRICS.map((m) => m.key)).toEqual(['browse_abandonment', 'product_abandonment', 'cart_abandonment', 'category_browse', 'back_in_stock']);
    for (const metric of STANDARD_METRICS) {
      expect(metric.contract.name.length).toBeLessThan(128);
      expect(contract(metric.key)).toBeInstanceOf(PropertiesContract);
    }
  });

  it('accept what a storefront sends, and name what is wrong', () => {
    expect(contract('cart_abandonment').validate(cart)).toBeUndefined();
    expect(contract('cart_abandonment').validate({ ...cart, Items: [{ ...cart.Items[0], Price: -1 }] })).toEqual({ path: 'Items.0.Price', message: 'must be >= 0' });
    expect(contract('cart_abandonment').validate({ ...cart, Currency: 'usd' })?.path).toBe('Currency');
    expect(contract('browse_abandonment').validate({ ProductID: 'p_1', ProductName: 'Trail Runner 2', URL: 'https://shop.example.com/p/1', Price: 119.5, Currency: 'USD', ImageURL: 'https://cdn.example.com/1.jpg' })).toBeUndefined();
    expect(contract('browse_abandonment').validate({ ProductID: 'p_1', ProductName: 'x', URL: 'not a url' })?.path).toBe('URL');
    expect(contract('back_in_stock').validate({ ProductID: 'p_1', ProductName: 'Trail Runner 2', URL: 'https://shop.example.com/p/1', InventoryQuantity: 4 })).toBeUndefined();
    expect(contract('category_browse').validate({ CategoryID: 'shoes', CategoryName: 'Shoes', TopProducts: [{ ProductID: 'p_1', ProductName: 'Trail Runner 2' }] })).toBeUndefined();
    expect(contract('product_abandonment').validate({ ProductID: 'p_1', ProductName: 'Trail Runner 2', URL: 'https://shop.example.com/p/1', Engagement: 'variant_selected' })).toBeUndefined();
  });
});

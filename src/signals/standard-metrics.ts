import type { MetricContract } from '../store';

/**
 * The five standard signals, as data: property names follow Klaviyo's own
 * catalog events (ProductID, ProductName, ImageURL, URL, Price, Categories),
 * which its dynamic product blocks and flow templates expect.
 */

const money = { type: 'number', minimum: 0 } as const;
const currency = { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217 code, e.g. USD' } as const;
const url = { type: 'string', format: 'uri', maxLength: 2048 } as const;
const text = (maxLength = 500) => ({ type: 'string', minLength: 1, maxLength }) as const;
const categories = { type: 'array', items: text(200), maxItems: 50 } as const;

const product = {
  ProductID: text(255),
  ProductName: text(),
  SKU: text(255),
  VariantID: text(255),
  URL: url,
  ImageURL: url,
  Price: money,
  CompareAtPrice: money,
  Currency: currency,
  Brand: text(200),
  Categories: categories,
} as const;

const objectSchema = (properties: Record<string, unknown>, required: string[]) => ({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties,
  required,
});

export interface StandardMetric {
  readonly key: string;
  readonly contract: MetricContract;
}

export const STANDARD_METRICS: readonly StandardMetric[] = [
  {
    key: 'browse_abandonment',
    contract: {
      name: 'Browse Abandonment',
      description: 'A shopper viewed a product and left without adding it to the cart.',
      propertiesSchema: objectSchema({ ...product, ViewedAt: { type: 'string', format: 'date-time' } }, ['ProductID', 'ProductName', 'URL']),
      piiFields: [],
    },
  },
  {
    key: 'product_abandonment',
    contract: {
      name: 'Product Abandonment',
      description: 'A shopper engaged with a product (chose a variant, opened size guide, added to wishlist) and did not buy it.',
      propertiesSchema: objectSchema({ ...product, Quantity: { type: 'integer', minimum: 1 }, Engagement: { type: 'string', enum: ['variant_selected', 'size_guide_opened', 'wishlisted', 'shared', 'other'] } }, ['ProductID', 'ProductName', 'URL']),
      piiFields: [],
    },
  },
  {
    key: 'cart_abandonment',
    contract: {
      name: 'Cart Abandonment',
      description: 'A shopper left items in the cart without checking out.',
      propertiesSchema: objectSchema(
        {
          CartID: text(255),
          CheckoutURL: url,
          Currency: currency,
          CartTotal: money,
          ItemCount: { type: 'integer', minimum: 0 },
          ItemNames: { type: 'array', items: text(), maxItems: 200 },
          Categories: categories,
          Items: {
            type: 'array',
            minItems: 1,
            maxItems: 200,
            items: { type: 'object', properties: { ...product, Quantity: { type: 'integer', minimum: 1 }, RowTotal: money }, required: ['ProductID', 'ProductName', 'Quantity', 'Price'] },
          },
        },
        ['Items', 'Currency'],
      ),
      piiFields: [],
    },
  },
  {
    key: 'category_browse',
    contract: {
      name: 'Category Browse',
      description: 'A shopper browsed a catalog category.',
      propertiesSchema: objectSchema(
        {
          CategoryID: text(255),
          CategoryName: text(),
          CategoryURL: url,
          ProductIDs: { type: 'array', items: text(255), maxItems: 100 },
          TopProducts: { type: 'array', maxItems: 12, items: { type: 'object', properties: { ProductID: text(255), ProductName: text(), URL: url, ImageURL: url, Price: money }, required: ['ProductID', 'ProductName'] } },
          Currency: currency,
        },
        ['CategoryID', 'CategoryName'],
      ),
      piiFields: [],
    },
  },
  {
    key: 'back_in_stock',
    contract: {
      name: 'Back in Stock',
      description: 'A product a shopper asked about is available again.',
      propertiesSchema: objectSchema({ ...product, InventoryQuantity: { type: 'integer', minimum: 0 }, SubscribedAt: { type: 'string', format: 'date-time' } }, ['ProductID', 'ProductName', 'URL']),
      piiFields: [],
    },
  },
];

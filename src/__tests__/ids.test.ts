import { sortableId } from '../ids';

describe('sortableId', () => {
  it('sorts in creation order, also within one millisecond and past 4,096 ids in it', () => {
    const ids = Array.from({ length: 10_000 }, () => sortableId(1_796_395_510_000));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(sortableId(1_796_395_510_001) > ids.at(-1)!).toBe(true);
  });
});

// The catalog as the Products page and the line-up picker see it.
import { commands, type Product, type ProductForm, type ProductId } from '../bindings';
import { call } from '../api';
import { t } from '../i18n/index.svelte';
import { toasts } from './toasts.svelte';

class ProductsStore {
  items = $state<Product[]>([]);
  query = $state('');
  loaded = $state(false);
  #generation = 0;

  /** Reloads the list for the current query; a slower earlier answer never overwrites a newer one. */
  async load() {
    const generation = ++this.#generation;
    const items = await call(commands.listProducts(this.query));
    if (generation === this.#generation) {
      this.items = items;
      this.loaded = true;
    }
  }

  async all(): Promise<Product[]> {
    return call(commands.listProducts(''));
  }

  validate(form: ProductForm) {
    return commands.validateProduct(form);
  }

  async save(id: ProductId | null, form: ProductForm): Promise<Product> {
    const product = await call(commands.saveProduct(id, form));
    await this.load();
    return product;
  }

  async remove(product: Product) {
    await call(commands.deleteProducts([product.id]));
    await this.load();
    toasts.push(t('product.deleted', { name: product.name }), {
      undo: async () => {
        await call(commands.restoreProducts([product.id]));
        await this.load();
      },
    });
  }

  async removeSamples() {
    const ids = await call(commands.removeSampleCatalog());
    await this.load();
    toasts.push(t('product.samplesRemoved', { n: ids.length }), {
      undo: async () => {
        await call(commands.restoreProducts(ids));
        await this.load();
      },
    });
  }
}

export const products = new ProductsStore();

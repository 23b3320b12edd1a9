import { modelFamily, type ResolvedModel } from "../google/models.ts";
import { isImageModel } from "../google/image-request.ts";
import type { Runtime } from "./runtime.ts";

/**
 * The upstream image model for a request: the one the client named if it is an image model,
 * otherwise the configured one (`images.model`; OpenAI clients send `gpt-image-1` or `dall-e-3`).
 * The catalog may not list the configured one yet (upstream keeps image models apart from agent
 * models), so it goes upstream as configured even then.
 */
export function resolveImageModel(rt: Runtime, requested: string | null | undefined): ResolvedModel {
  const configured = rt.config.images.model;
  if (requested) {
    try {
      const resolved = rt.catalog.resolve(requested);
      if (isImageModel(resolved.upstream, configured)) return resolved;
    } catch {
      // Not an upstream name (gpt-image-1, dall-e-3): the configured image model answers.
    }
  }
  try {
    return rt.catalog.resolve(configured);
  } catch {
    return { upstream: configured, family: modelFamily(configured), thinkingModel: false };
  }
}

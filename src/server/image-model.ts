import { modelFamily, type ResolvedModel } from "../google/models.ts";
import { isImageModel } from "../google/image-request.ts";
import type { Runtime } from "./runtime.ts";

/**
 * The upstream image model for a request: the one the client named if it is an image model;
 * otherwise the one the accounts' catalogs name (`imageGenerationModelIds`, most common first), and
 * before any catalog was read, the configured `images.model` (OpenAI clients send `gpt-image-1` or
 * `dall-e-3`, names that mean nothing upstream). An id the model list does not resolve still goes
 * upstream as named: upstream keeps image models apart from agent models.
 */
/** Whether an upstream id is an image model: one the catalogs name for image generation, or shaped like one. */
export function isImageModelId(rt: Runtime, upstreamId: string): boolean {
  return rt.catalog.roleModelIds("imageGenerationModelIds").includes(upstreamId) || isImageModel(upstreamId, rt.config.images.model);
}

export function resolveImageModel(rt: Runtime, requested: string | null | undefined): ResolvedModel {
  const configured = rt.catalog.roleModelIds("imageGenerationModelIds")[0] ?? rt.config.images.model;
  if (requested) {
    try {
      const resolved = rt.catalog.resolve(requested);
      if (isImageModelId(rt, resolved.upstream)) return resolved;
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

#pragma once
// Which bytes feedd will keep or serve as an image: a raster type recognised by its magic
// bytes, with a Content-Type that does not say otherwise. SVG is never one (served from our
// origin it would run scripts), nor is HTML that calls itself .jpg. Pure; never throws.
#include <optional>
#include <string>
#include <string_view>

namespace feedd::image {

enum class ImageType { kJpeg, kPng, kGif, kWebp, kAvif };

// "jpg", "png", "gif", "webp", "avif": the extension of a stored file.
const char* extension(ImageType type);
// "image/jpeg", ...: the Content-Type feedd serves it with.
const char* media_type(ImageType type);
// The type of a stored file's extension; nullopt for any other.
std::optional<ImageType> type_of_extension(std::string_view ext);

struct Sniffed {
  std::optional<ImageType> type;  // set when accepted
  std::string reason;             // why not, when refused: "not an image (text/html)", ...
};

// Accepts `body` when its magic bytes are JPEG, PNG, GIF, WebP or AVIF and `content_type`
// (the response's header, may be "") is absent, an image/* type other than SVG, or
// application/octet-stream. CDNs mislabel one raster type as another, so the magic bytes, not
// the header, decide the type.
Sniffed sniff(std::string_view body, std::string_view content_type);

}  // namespace feedd::image

#include "image/sniff.hpp"

#include "util/ascii.hpp"

namespace feedd::image {
namespace {

std::optional<ImageType> magic(std::string_view b) {
  if (b.starts_with("\xFF\xD8\xFF")) return ImageType::kJpeg;
  if (b.starts_with("\x89PNG\r\n\x1A\n")) return ImageType::kPng;
  if (b.starts_with("GIF87a") || b.starts_with("GIF89a")) return ImageType::kGif;
  if (b.size() >= 12 && b.starts_with("RIFF") && b.substr(8, 4) == "WEBP") return ImageType::kWebp;
  // ISO BMFF: [size]["ftyp"][major brand][minor version][compatible brands...] in the first box.
  if (b.size() >= 16 && b.substr(4, 4) == "ftyp") {
    const auto box = (static_cast<std::size_t>(static_cast<unsigned char>(b[0])) << 24) |
                     (static_cast<std::size_t>(static_cast<unsigned char>(b[1])) << 16) |
                     (static_cast<std::size_t>(static_cast<unsigned char>(b[2])) << 8) |
                     static_cast<std::size_t>(static_cast<unsigned char>(b[3]));
    const std::string_view ftyp = b.substr(0, std::min(box, b.size()));
    const auto is_avif = [](std::string_view brand) { return brand == "avif" || brand == "avis"; };
    if (ftyp.size() >= 12 && is_avif(ftyp.substr(8, 4))) return ImageType::kAvif;
    for (std::size_t at = 16; at + 4 <= ftyp.size(); at += 4) {
      if (is_avif(ftyp.substr(at, 4))) return ImageType::kAvif;
    }
  }
  return std::nullopt;
}

}  // namespace

const char* extension(ImageType type) {
  switch (type) {
    case ImageType::kJpeg:
      return "jpg";
    case ImageType::kPng:
      return "png";
    case ImageType::kGif:
      return "gif";
    case ImageType::kWebp:
      return "webp";
    case ImageType::kAvif:
      return "avif";
  }
  return "jpg";
}

const char* media_type(ImageType type) {
  switch (type) {
    case ImageType::kJpeg:
      return "image/jpeg";
    case ImageType::kPng:
      return "image/png";
    case ImageType::kGif:
      return "image/gif";
    case ImageType::kWebp:
      return "image/webp";
    case ImageType::kAvif:
      return "image/avif";
  }
  return "image/jpeg";
}

std::optional<ImageType> type_of_extension(std::string_view ext) {
  for (ImageType t :
       {ImageType::kJpeg, ImageType::kPng, ImageType::kGif, ImageType::kWebp, ImageType::kAvif}) {
    if (ext == extension(t)) return t;
  }
  return std::nullopt;
}

Sniffed sniff(std::string_view body, std::string_view content_type) {
  std::string type = ascii_lower(content_type.substr(0, content_type.find(';')));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t'))
    type.pop_back();
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t'))
    type.erase(0, 1);
  const bool declared_ok = type.empty() || type == "application/octet-stream" ||
                           (type.starts_with("image/") && type.find("svg") == std::string::npos);
  if (!declared_ok) return {std::nullopt, "not an image (" + type + ")"};
  const auto found = magic(body);
  if (!found) {
    return {std::nullopt, "not a JPEG, PNG, GIF, WebP or AVIF image" +
                              (type.empty() ? std::string() : " (" + type + ")")};
  }
  return {found, {}};
}

}  // namespace feedd::image

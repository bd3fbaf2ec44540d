#include "emit/xml_writer.hpp"

namespace feedd::emit {

XmlWriter::XmlWriter(std::size_t reserve) {
  out_.reserve(reserve);
  open_.reserve(8);
}

void XmlWriter::declaration() {
  out_.append("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
}

void XmlWriter::close_start_tag() {
  if (!tag_open_) return;
  out_.push_back('>');
  tag_open_ = false;
}

void XmlWriter::start(std::string_view name) {
  if (!open_.empty()) {
    Open& parent = open_.back();
    if (!parent.children) {
      close_start_tag();
      out_.push_back('\n');
      parent.children = true;
    }
  }
  indent(open_.size());
  out_.push_back('<');
  out_.append(name);
  open_.push_back({name});
  tag_open_ = true;
}

void XmlWriter::attribute(std::string_view name, std::string_view value) {
  out_.push_back(' ');
  out_.append(name);
  out_.append("=\"");
  append_xml_attribute(out_, value);
  out_.push_back('"');
}

void XmlWriter::text(std::string_view value) {
  close_start_tag();
  append_xml_text(out_, value);
}

void XmlWriter::end() {
  const Open e = open_.back();
  open_.pop_back();
  if (tag_open_) {
    out_.append(" />\n");
    tag_open_ = false;
  } else {
    if (e.children) indent(open_.size());
    out_.append("</");
    out_.append(e.name);
    out_.append(">\n");
  }
}

void XmlWriter::element(std::string_view name, std::string_view value) {
  start(name);
  text(value);
  end();
}

}  // namespace feedd::emit

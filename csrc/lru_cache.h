// A small bounded cache for what a call would otherwise recompute on every
// call with the same arguments (filter designs, band power responses). Keys
// are byte strings (the arguments, or a tensor's bytes), compared in full;
// the least recently used entries go first once `max_entries` or `max_bytes`
// is exceeded. Safe to share between threads.
#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace gpac {

template <typename V>
class LruCache {
 public:
  LruCache(size_t max_entries, size_t max_bytes) : max_entries_(max_entries), max_bytes_(max_bytes) {}

  std::optional<V> get(const std::string& key) {
    const size_t h = std::hash<std::string>{}(key);
    const std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->hash == h && it->key == key) {
        entries_.splice(entries_.begin(), entries_, it);  // now the most recent
        return it->value;
      }
    }
    return std::nullopt;
  }

  // `bytes`: what the value holds, counted against max_bytes with the key.
  void put(std::string key, V value, size_t bytes) {
    const size_t size = bytes + key.size();
    if (size > max_bytes_) return;  // would evict everything else
    const size_t h = std::hash<std::string>{}(key);
    const std::lock_guard<std::mutex> lock(mutex_);
    entries_.push_front({h, std::move(key), std::move(value), size});
    bytes_ += size;
    while (entries_.size() > max_entries_ || bytes_ > max_bytes_) {
      bytes_ -= entries_.back().bytes;
      entries_.pop_back();
    }
  }

 private:
  struct Entry {
    size_t hash;
    std::string key;
    V value;
    size_t bytes;
  };
  std::mutex mutex_;
  std::list<Entry> entries_;  // most recent first
  size_t bytes_ = 0;
  const size_t max_entries_, max_bytes_;
};

// Appends the bytes of trivially copyable values to a cache key.
template <typename T>
void append_key(std::string& key, const T* data, size_t count) {
  key.append(reinterpret_cast<const char*>(data), count * sizeof(T));
}

}  // namespace gpac

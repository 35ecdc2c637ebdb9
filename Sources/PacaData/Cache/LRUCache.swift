/// A bounded map that forgets the least recently used entry first and entries older than their
/// time to live. O(1) per operation: a dictionary into a doubly linked list kept in arrays.
struct LRUCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Node: Sendable {
        var key: Key
        var value: Value
        var expires: Double
        var previous: Int?
        var next: Int?
    }

    let capacity: Int
    private var nodes: [Node] = []
    private var free: [Int] = []
    private var slots: [Key: Int] = [:]
    private var head: Int?  // most recent
    private var tail: Int?  // least recent

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    var count: Int { slots.count }

    mutating func value(for key: Key, now: Double) -> Value? {
        guard let slot = slots[key] else { return nil }
        guard nodes[slot].expires > now else {
            remove(key)
            return nil
        }
        unlink(slot)
        pushFront(slot)
        return nodes[slot].value
    }

    mutating func set(_ value: Value, for key: Key, expires: Double) {
        if let slot = slots[key] {
            nodes[slot].value = value
            nodes[slot].expires = expires
            unlink(slot)
            pushFront(slot)
            return
        }
        if slots.count >= capacity, let oldest = tail { remove(nodes[oldest].key) }
        let node = Node(key: key, value: value, expires: expires)
        let slot: Int
        if let reused = free.popLast() {
            nodes[reused] = node
            slot = reused
        } else {
            nodes.append(node)
            slot = nodes.count - 1
        }
        slots[key] = slot
        pushFront(slot)
    }

    mutating func remove(_ key: Key) {
        guard let slot = slots.removeValue(forKey: key) else { return }
        unlink(slot)
        free.append(slot)
    }

    mutating func removeAll() {
        nodes.removeAll()
        free.removeAll()
        slots.removeAll()
        head = nil
        tail = nil
    }

    private mutating func unlink(_ slot: Int) {
        let (previous, next) = (nodes[slot].previous, nodes[slot].next)
        if let previous { nodes[previous].next = next } else { head = next }
        if let next { nodes[next].previous = previous } else { tail = previous }
        nodes[slot].previous = nil
        nodes[slot].next = nil
    }

    private mutating func pushFront(_ slot: Int) {
        nodes[slot].next = head
        nodes[slot].previous = nil
        if let head { nodes[head].previous = slot }
        head = slot
        if tail == nil { tail = slot }
    }
}

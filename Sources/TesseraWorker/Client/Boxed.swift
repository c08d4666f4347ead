/// An optional value kept on the heap, so that a client's seldom-set state (its trainer, its
/// task in progress, its secure session) costs a reference while unset, not its full size:
/// a million idle clients in one process then take a few hundred bytes each.
@propertyWrapper
struct Boxed<Value> {
    private final class Box {
        let value: Value

        init(_ value: Value) {
            self.value = value
        }
    }

    private var box: Box?

    init(wrappedValue: Value?) {
        box = wrappedValue.map(Box.init)
    }

    var wrappedValue: Value? {
        get { box?.value }
        set { box = newValue.map(Box.init) }
    }
}

import ArgumentParser
import Logging
import PaymentsCore
import PaymentsStore

/// `payments-sync items`: the operator items (amount mismatches, over-refunds, non-USD payments, permanent sync
/// failures) and their resolution.
struct ItemsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "items", abstract: "List or resolve operator items.",
        subcommands: [ItemsListCommand.self, ItemsResolveCommand.self], defaultSubcommand: ItemsListCommand.self)
}

/// `payments-sync items list [--all] [--json]`.
struct ItemsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List open operator items (oldest first); --all adds resolved ones.")

    @OptionGroup var options: GlobalOptions

    @Flag(help: "Include resolved items.")
    var all = false

    @Flag(help: "Print a JSON array instead of lines.")
    var json = false

    @Option(help: "Show at most this many items.")
    var limit = 1000

    func run() throws {
        let environment = try SyncEnvironment.load(options)
        let store = OperatorStore(configuration: environment.database)
        defer { store.close() }
        let items: [OperatorStore.Item]
        do {
            items = try store.items(includeResolved: all, limit: limit)
        } catch {
            SyncEnvironment.printError("\(error)")
            throw ExitCode(1)
        }
        if json {
            print(JSONValue.array(items.map(Self.json)).serialized())
            return
        }
        print("\(all ? "operator items" : "open operator items"): \(items.count)")
        for item in items {
            var line = "  #\(item.id) \(item.gateway) \(item.reference) reason=\(item.reason) "
            line += "created=\(RecordPrinter.utc(item.createdAt)) payload=\(item.payload)"
            if let resolved = item.resolvedAt {
                line += " resolved=\(RecordPrinter.utc(resolved)) note=\(item.resolutionNote ?? "-")"
            }
            print(line)
        }
    }

    static func json(_ item: OperatorStore.Item) -> JSONValue {
        .object([
            ("id", .int(item.id)), ("gateway", .string(item.gateway)), ("reference", .string(item.reference)),
            ("reason", .string(item.reason)), ("payload", .string(item.payload)),
            ("created_at", .int(item.createdAt)), ("resolved_at", item.resolvedAt.map { .int($0) } ?? .null),
            ("resolution_note", item.resolutionNote.map { .string($0) } ?? .null),
        ])
    }
}

/// `payments-sync items resolve <id> --note <text>`: closes an item with what the operator did about it; the action
/// is recorded in `operator_actions` in the same transaction.
struct ItemsResolveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve", abstract: "Mark an operator item resolved, with a note (recorded with your OS user).",
        discussion: "Exit codes: 0 resolved, 1 no such item, already resolved or the database failed, 78 configuration."
    )

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The item's id (from `items list`).")
    var id: Int64

    @Option(help: "What was done about it (required).")
    var note: String

    func validate() throws {
        if note.allSatisfy(\.isWhitespace) { throw ValidationError("--note must say what was done") }
    }

    func run() throws {
        let environment = try SyncEnvironment.load(options)
        let store = OperatorStore(configuration: environment.database)
        defer { store.close() }
        let user = OperatorIdentity.current()
        let resolution: OperatorStore.Resolution
        do {
            resolution = try store.resolve(itemID: id, note: note, osUser: user)
        } catch {
            SyncEnvironment.printError("\(error)")
            throw ExitCode(1)
        }
        environment.logger.notice(
            "operator action",
            metadata: [
                "operator.action": "items-resolve", "operator.target": "\(id)", "operator.user": "\(user)",
                "operator.result": "\(resolution.rawValue)",
            ])
        switch resolution {
        case .resolved:
            print("items: #\(id) resolved")
        case .alreadyResolved:
            SyncEnvironment.printError("item #\(id) was already resolved; its note is unchanged")
            throw ExitCode(1)
        case .notFound:
            SyncEnvironment.printError("no operator item #\(id)")
            throw ExitCode(1)
        }
    }
}

package dev.meridian.backup;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The arrows between Meridian's packages point down (docs/architecture.md, "Layers"). Each rule names the invariant
 * it keeps; production classes only (tests may reach across layers to set up and inspect).
 *
 * <pre>
 *  11 Wiring      server, cli, bench, embed  (cli may use bench; embed uses server)
 *  10 Gateways    http | mcp                  (neither uses the other)
 *  10 Operations  operation                   (the one table of operations both gateways bind to)
 *   9 Engine      engine
 *   8 Schedule    schedule
 *   7 Database    database
 *   6 Jobs        backup, restore, verify, retention
 *   5 Runtime     runtime
 *   4 Config      config
 *   3 Repository  repository, rocks
 *   2 Storage     store, store.file, store.mem
 *   1 Values      model, hash
 * </pre>
 */
@AnalyzeClasses(packages = "dev.meridian.backup", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {
    private static final String ROOT = "dev.meridian.backup.";

    private static String pkg(String name) {
        return ROOT + name + "..";
    }

    /** Every layer uses only the layers below it (and its own packages); a package outside every layer fails too. */
    @ArchTest
    static final ArchRule eachLayerUsesOnlyTheLayersBelowIt = layeredArchitecture()
            .consideringOnlyDependenciesInLayers()
            .ensureAllClassesAreContainedInArchitecture()
            .layer("Values").definedBy(pkg("model"), pkg("hash"))
            .layer("Storage").definedBy(pkg("store"))
            .layer("Repository").definedBy(pkg("repository"), pkg("rocks"))
            .layer("Config").definedBy(pkg("config"))
            .layer("Runtime").definedBy(pkg("runtime"))
            .layer("Jobs").definedBy(pkg("backup"), pkg("restore"), pkg("verify"), pkg("retention"))
            .layer("Database").definedBy(pkg("database"))
            .layer("Schedule").definedBy(pkg("schedule"))
            .layer("Engine").definedBy(pkg("engine"))
            .layer("Operations").definedBy(pkg("operation"))
            .layer("Rest").definedBy(pkg("http"))
            .layer("Mcp").definedBy(pkg("mcp"))
            .layer("Wiring").definedBy(pkg("server"), pkg("cli"), pkg("bench"), pkg("embed"))
            .whereLayer("Values").mayNotAccessAnyLayer()
            .whereLayer("Storage").mayOnlyAccessLayers("Values")
            .whereLayer("Repository").mayOnlyAccessLayers("Values", "Storage")
            .whereLayer("Config").mayOnlyAccessLayers("Values", "Storage", "Repository")
            .whereLayer("Runtime").mayOnlyAccessLayers("Values", "Storage", "Repository", "Config")
            .whereLayer("Jobs").mayOnlyAccessLayers("Values", "Storage", "Repository", "Config", "Runtime")
            .whereLayer("Database").mayOnlyAccessLayers("Values", "Storage", "Repository", "Config", "Runtime", "Jobs")
            .whereLayer("Schedule").mayOnlyAccessLayers("Values", "Storage", "Repository", "Config", "Runtime", "Jobs",
                    "Database")
            .whereLayer("Engine").mayOnlyAccessLayers("Values", "Storage", "Repository", "Config", "Runtime", "Jobs",
                    "Database", "Schedule")
            .whereLayer("Operations").mayOnlyAccessLayers("Values", "Config", "Runtime", "Engine")
            .whereLayer("Rest").mayOnlyAccessLayers("Values", "Config", "Runtime", "Engine", "Operations")
            .whereLayer("Mcp").mayOnlyAccessLayers("Values", "Config", "Runtime", "Engine", "Operations")
            .whereLayer("Wiring").mayNotBeAccessedByAnyLayer();

    /** Same-layer imports are allowed only while they stay acyclic; jdeps must find no package cycle. */
    @ArchTest
    static final ArchRule noCycleBetweenTopLevelPackages =
            slices().matching("dev.meridian.backup.(*)..").should().beFreeOfCycles();

    /** The same, one slice per package, so store, store.file and store.mem cannot form a cycle among themselves. */
    @ArchTest
    static final ArchRule noCycleBetweenAnyPackages =
            slices().matching("dev.meridian.backup.(**)").should().beFreeOfCycles();

    /** MCP reaches the engine through the operation table, never through REST internals. */
    @ArchTest
    static final ArchRule mcpNeverUsesHttp = noClasses().that().resideInAPackage(pkg("mcp"))
            .should().dependOnClassesThat().resideInAPackage(pkg("http"));

    @ArchTest
    static final ArchRule httpNeverUsesMcp = noClasses().that().resideInAPackage(pkg("http"))
            .should().dependOnClassesThat().resideInAPackage(pkg("mcp"));

    /** A gateway sees the engine facade, the operation table, the values, config and runtime; no job, store or database. */
    @ArchTest
    static final ArchRule restUsesOnlyTheEngineSide = gatewayUsesOnlyTheEngineSide("http");

    @ArchTest
    static final ArchRule mcpUsesOnlyTheEngineSide = gatewayUsesOnlyTheEngineSide("mcp");

    @ArchTest
    static final ArchRule operationTableUsesOnlyTheEngineSide = gatewayUsesOnlyTheEngineSide("operation");

    private static ArchRule gatewayUsesOnlyTheEngineSide(String gateway) {
        return classes().that().resideInAPackage(pkg(gateway))
                .should().onlyDependOnClassesThat(resideOutsideOfPackage(ROOT.substring(0, ROOT.length() - 1) + "..")
                        .or(resideInAnyPackage(pkg("engine"), pkg("operation"), pkg("model"), pkg("config"),
                                pkg("runtime"), pkg(gateway))));
    }

    /**
     * RocksDB is opened and read in rocks only; bench also runs RocksDB's own BackupEngine as a reference, and the
     * embedding API takes the host's RocksDB handles (its public signatures name them).
     */
    @ArchTest
    static final ArchRule onlyRocksAndBenchUseRocksDb = noClasses()
            .that().resideOutsideOfPackages(pkg("rocks"), pkg("bench"), pkg("embed"))
            .should().dependOnClassesThat().resideInAPackage("org.rocksdb..");

    /** The value types are plain Java: no actor system and no database handle behind a model record. */
    @ArchTest
    static final ArchRule modelUsesNeitherPekkoNorRocksDb = noClasses().that().resideInAPackage(pkg("model"))
            .should().dependOnClassesThat().resideInAnyPackage("org.apache.pekko..", "org.rocksdb..");

    /** Jobs are children of the database coordinator and report to it; they never call back up into the facade. */
    @ArchTest
    static final ArchRule jobsNeverUseTheEngine = noClasses()
            .that().resideInAnyPackage(pkg("backup"), pkg("restore"), pkg("verify"), pkg("retention"))
            .should().dependOnClassesThat().resideInAPackage(pkg("engine"));
}

package io.cdcbridge.demo;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The proof of concept's bookstore (docs/architecture.md §12): quoted mixed-case names, Portuguese text, and a {@code "Sales"}
 * table without a primary key, as the original had. The demo gives Sales {@code REPLICA IDENTITY FULL} so its updates
 * and deletes carry a before-image.
 */
public final class Bookstore {

    public static final String SCHEMA_SQL = """
            CREATE TABLE IF NOT EXISTS "BookTypes" (
              "BookTypeId" serial PRIMARY KEY,
              "Description" varchar(100) NOT NULL);
            CREATE TABLE IF NOT EXISTS "Books" (
              "BookId" serial PRIMARY KEY,
              "Title" varchar(200) NOT NULL,
              "BookTypeId" integer REFERENCES "BookTypes",
              "Price" numeric(10,2));
            CREATE TABLE IF NOT EXISTS "Users" (
              "UserId" serial PRIMARY KEY,
              "UserName" varchar(100) NOT NULL,
              "Department" varchar(100));
            CREATE TABLE IF NOT EXISTS "Sales" (
              "SaleId" serial,
              "BookId" integer,
              "BookTypeId" integer,
              "UserId" integer,
              "Value" double precision,
              "EntryDateTime" timestamp DEFAULT now());
            """;

    public static final String SEED_SQL = """
            INSERT INTO "BookTypes" ("Description") VALUES ('Ação'), ('Romance'), ('Ficção Científica'), ('Biografia');
            INSERT INTO "Books" ("Title", "BookTypeId", "Price") VALUES
              ('Dom Casmurro', 2, 39.90), ('O Alienista', 3, 24.50), ('Memórias Póstumas de Brás Cubas', 2, 45.00),
              ('Grande Sertão: Veredas', 1, 89.90), ('Capitães da Areia', 1, 42.00), ('A Hora da Estrela', 2, 31.25),
              ('Vidas Secas', 4, 29.99);
            INSERT INTO "Users" ("UserName", "Department") VALUES ('Ana', 'Vendas'), ('João', 'Financeiro'), ('Márcia', 'Tecnologia');
            """;

    private Bookstore() {
    }

    /** Creates the tables and seed rows unless they are there already. Returns true if it created them. */
    public static boolean install(Connection c, boolean replicaIdentityFull) throws SQLException {
        try (Statement st = c.createStatement()) {
            var rs = st.executeQuery("SELECT to_regclass('public.\"Users\"') IS NOT NULL");
            rs.next();
            if (rs.getBoolean(1)) {
                return false;
            }
            st.execute(SCHEMA_SQL);
            if (replicaIdentityFull) {
                st.execute("ALTER TABLE \"Sales\" REPLICA IDENTITY FULL");
            }
            st.execute(SEED_SQL);
            return true;
        }
    }
}

package io.cdcbridge; public class Main { public static void main(String[] a){} }
